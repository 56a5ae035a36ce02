file(REMOVE_RECURSE
  "CMakeFiles/test_seed.dir/core/test_seed.c.o"
  "CMakeFiles/test_seed.dir/core/test_seed.c.o.d"
  "test_seed"
  "test_seed.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_seed.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
