file(REMOVE_RECURSE
  "../seed1_hello_world"
  "../seed1_hello_world.pdb"
  "CMakeFiles/seed1_hello_world.dir/seed/seed1_hello_world.c.o"
  "CMakeFiles/seed1_hello_world.dir/seed/seed1_hello_world.c.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/seed1_hello_world.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
