# Empty compiler generated dependencies file for test_fd.
# This may be replaced when dependencies are built.
