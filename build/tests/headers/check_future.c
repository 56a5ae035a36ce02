#include <cio/future.h>
int cio_header_check_future(void);
int cio_header_check_future(void) { return 0; }
