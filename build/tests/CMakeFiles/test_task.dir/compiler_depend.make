# Empty compiler generated dependencies file for test_task.
# This may be replaced when dependencies are built.
