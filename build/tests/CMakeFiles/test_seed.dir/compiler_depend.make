# Empty compiler generated dependencies file for test_seed.
# This may be replaced when dependencies are built.
