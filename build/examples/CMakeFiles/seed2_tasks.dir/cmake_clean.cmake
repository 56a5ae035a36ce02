file(REMOVE_RECURSE
  "../seed2_tasks"
  "../seed2_tasks.pdb"
  "CMakeFiles/seed2_tasks.dir/seed/seed2_tasks.c.o"
  "CMakeFiles/seed2_tasks.dir/seed/seed2_tasks.c.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/seed2_tasks.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
