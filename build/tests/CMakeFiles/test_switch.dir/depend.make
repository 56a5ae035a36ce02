# Empty dependencies file for test_switch.
# This may be replaced when dependencies are built.
