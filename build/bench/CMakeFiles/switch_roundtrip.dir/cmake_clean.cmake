file(REMOVE_RECURSE
  "CMakeFiles/switch_roundtrip.dir/switch_roundtrip.c.o"
  "CMakeFiles/switch_roundtrip.dir/switch_roundtrip.c.o.d"
  "switch_roundtrip"
  "switch_roundtrip.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/switch_roundtrip.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
