"""Admin SDK Directory: users and calendar resources (rooms), and their query languages."""
