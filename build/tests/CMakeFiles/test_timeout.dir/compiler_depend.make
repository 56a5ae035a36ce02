# Empty compiler generated dependencies file for test_timeout.
# This may be replaced when dependencies are built.
