"""AWS services the harness serves itself, each in the same shape: ``models.py`` (state and
behaviour, no HTTP), ``responses.py`` (the wire protocol -> the model), ``exceptions.py``.
``server.py`` puts SQS and SNS behind one loopback HTTP endpoint (SNS fans out to SQS in-process)."""
