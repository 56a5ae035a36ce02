# Empty compiler generated dependencies file for cio_header_checks.
# This may be replaced when dependencies are built.
