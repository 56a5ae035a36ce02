# Empty compiler generated dependencies file for switch_roundtrip.
# This may be replaced when dependencies are built.
