"""IP dedup scenario: a detector that checks each IP once per INSERT, then deletes it."""
