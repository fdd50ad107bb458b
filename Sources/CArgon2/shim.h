// Argon2 reference implementation, Debian's libargon2-dev (PHC winner, RFC 9106).
#include <argon2.h>
