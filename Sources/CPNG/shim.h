// libpng (Debian: libpng-dev), its simplified read API.
#include <png.h>
