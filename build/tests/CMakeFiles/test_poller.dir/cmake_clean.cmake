file(REMOVE_RECURSE
  "CMakeFiles/test_poller.dir/poll/test_poller.c.o"
  "CMakeFiles/test_poller.dir/poll/test_poller.c.o.d"
  "test_poller"
  "test_poller.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_poller.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
