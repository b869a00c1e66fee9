"""What the tests share: factories, loopback servers (feeds, SMTP, TSA, streams), the signed-in
web client, the browser and the processes of a real stack. Fixtures here are registered once in
``tests/conftest.py`` (``pytest_plugins``); test modules never import one another."""
