"""Cloud Tasks v2: queues and tasks over REST, and the dispatcher that delivers due tasks."""
