"""Testing code that uses bloop: the pytest plugin's fixtures, faults and Lambda events.

- :mod:`bloop.testing.plugin` is the pytest plugin (loaded by pytest wherever bloop is
  installed): ``bloop_engine``, ``bloop_async_engine``, ``bloop_faults``,
  ``bloop_stream_event``, ``bloop_table_prefix``, ``bloop_models``, ``bloop_client``;
- :class:`Faults` injects throttling, unprocessed batch entries and lost answers into a
  botocore client's requests, in-process;
- :func:`stream_event` / :func:`stream_record` build the event AWS Lambda hands a
  DynamoDB-stream handler, from model objects.

See :doc:`testing`.  Importing this package imports neither pytest nor moto.
"""
from .events import stream_event, stream_record
from .faults import Faults

__all__ = ["Faults", "stream_event", "stream_record"]
