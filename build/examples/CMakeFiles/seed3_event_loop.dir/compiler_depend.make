# Empty compiler generated dependencies file for seed3_event_loop.
# This may be replaced when dependencies are built.
