# CMAKE generated file: DO NOT EDIT!
# Timestamp file for compiler generated dependencies management for seed3_event_loop.
