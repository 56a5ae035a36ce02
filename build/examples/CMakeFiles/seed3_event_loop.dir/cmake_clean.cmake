file(REMOVE_RECURSE
  "../seed3_event_loop"
  "../seed3_event_loop.pdb"
  "CMakeFiles/seed3_event_loop.dir/seed/seed3_event_loop.c.o"
  "CMakeFiles/seed3_event_loop.dir/seed/seed3_event_loop.c.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/seed3_event_loop.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
