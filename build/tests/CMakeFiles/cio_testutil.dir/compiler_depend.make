# Empty compiler generated dependencies file for cio_testutil.
# This may be replaced when dependencies are built.
