"""outbox-to-queue: producer -> outbox table -> stream -> publisher -> SQS (or SNS fan-out) -> consumer."""
