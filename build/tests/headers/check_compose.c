#include <cio/compose.h>
int cio_header_check_compose(void);
int cio_header_check_compose(void) { return 0; }
