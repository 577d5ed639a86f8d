"""Calendar v3: calendars, events, attendee copies, Meet conferences, rooms, freeBusy, emails."""
