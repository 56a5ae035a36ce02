# Empty compiler generated dependencies file for seed2_tasks.
# This may be replaced when dependencies are built.
