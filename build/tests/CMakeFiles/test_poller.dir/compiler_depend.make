# Empty compiler generated dependencies file for test_poller.
# This may be replaced when dependencies are built.
