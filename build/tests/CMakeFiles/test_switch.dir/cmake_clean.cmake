file(REMOVE_RECURSE
  "CMakeFiles/test_switch.dir/arch/test_switch.c.o"
  "CMakeFiles/test_switch.dir/arch/test_switch.c.o.d"
  "test_switch"
  "test_switch.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_switch.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
