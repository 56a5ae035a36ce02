file(REMOVE_RECURSE
  "libcio_testutil.a"
)
