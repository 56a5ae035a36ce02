# Empty dependencies file for switch_roundtrip.
# This may be replaced when dependencies are built.
