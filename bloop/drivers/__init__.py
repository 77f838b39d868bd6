"""Everything that sends: the drivers, beside each other by concern, sync and async.

The core of bloop (:mod:`bloop.operations`, :mod:`bloop.tables`, :mod:`bloop.search`,
:mod:`bloop.transactions`, :mod:`bloop.stream.coordinator`) builds requests and reads
responses in I/O-free generators.  The modules here run them; each holds the blocking
and the async twin of one concern:

``transport``
    the :class:`~bloop.drivers.transport.Transport` / ``AsyncTransport`` protocols (the
    calls of one step in, their outcomes out) and the botocore / aiobotocore transports.
``drive``
    :func:`~bloop.drivers.drive.drive` / ``drive_async``: run a generator to its result.
``search``
    the search iterators and the engines' :class:`~bloop.search.Searcher`.
``transaction``
    ``with`` / ``async with`` transactions.
``stream``
    ``for`` / ``async for`` streams.
"""
