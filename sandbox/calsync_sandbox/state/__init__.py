"""The sandbox's in-memory state: the :class:`~calsync_sandbox.state.world.World` behind one lock.

Everything a Google API would store lives here as plain data (people, credentials, calendars,
events, rooms, transfers, Cloud Tasks queues), with the pending asynchronous work, the injected
faults and the logs. Nothing here knows HTTP or an API's rules; the API packages
(``calendar``, ``directory``, ``transfer``, ``tasks``, ``oauth``) read and change this state.
"""
