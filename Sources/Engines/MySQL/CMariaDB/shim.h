// MariaDB Connector/C (libmariadb-dev): the client library that speaks to
// MariaDB and MySQL servers. Only MySQLSource's connection sees it.
#include <mysql.h>
