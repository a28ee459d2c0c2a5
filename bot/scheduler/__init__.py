"""Background work driven by APScheduler (PTB's JobQueue): the outbox sender and the reminder
planner. The database is the record of what is due; the scheduler only wakes the workers."""
