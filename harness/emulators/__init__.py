"""Layer 3a: AWS services the harness serves itself, each a package in moto's shape: ``models.py`` (state and
behaviour, no HTTP), ``responses.py`` (the wire protocol -> the model), ``exceptions.py``. They know nothing of
the runtime: a server hands accepted work to whatever sink the runtime attaches. ``server.py`` puts SQS and SNS
behind one loopback HTTP endpoint (SNS fans out to SQS in-process)."""
