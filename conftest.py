"""Repository-wide pytest hooks."""


def pytest_collection_modifyitems(config, items):
    # tf.test.TestCase (base of TFDS's DatasetBuilderTestCase) has a helper named
    # `test_session` that pytest collects and TF then skips as "Not a test".
    # It is not a test: deselect it instead of reporting a skip.
    kept = [item for item in items if item.name != "test_session"]
    deselected = [item for item in items if item.name == "test_session"]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
