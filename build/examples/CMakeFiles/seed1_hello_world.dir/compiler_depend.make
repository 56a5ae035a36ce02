# Empty compiler generated dependencies file for seed1_hello_world.
# This may be replaced when dependencies are built.
