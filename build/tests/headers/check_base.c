#include <cio/base.h>
int cio_header_check_base(void);
int cio_header_check_base(void) { return 0; }
