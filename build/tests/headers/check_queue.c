#include <cio/queue.h>
int cio_header_check_queue(void);
int cio_header_check_queue(void) { return 0; }
