# Turns the statements of the server's background jobs (sql/<dialect>/jobs/<job>_<n>_<name>.sql)
# into a C array in the build directory, for the storage drivers (server/store_sqlite.c, and
# server/store_mysql.c with -DNAME=argus_mysql_jobs): const argus_job_statement NAME[]
# (default argus_sqlite_jobs), in file name order, NULL-terminated.
#   cmake -DOUT=gen/jobs_sqlite.c -DSRC=sql/sqlite/jobs -P sql/sqlite/jobs/embed.cmake
if(NOT NAME)
  set(NAME argus_sqlite_jobs)
endif()
file(GLOB FILES ${SRC}/*.sql)
list(SORT FILES)
set(body "/* generated from ${SRC} by sql/sqlite/jobs/embed.cmake; do not edit */\n#include \"store.h\"\n\nconst argus_job_statement ${NAME}[] = {\n")
foreach(f ${FILES})
  get_filename_component(name ${f} NAME)
  string(REGEX MATCH "^[a-z]+" job ${name})
  file(READ ${f} sql)
  string(REPLACE "\\" "\\\\" sql "${sql}")
  string(REPLACE "\"" "\\\"" sql "${sql}")
  string(REPLACE "\n" "\\n\"\n\"" sql "${sql}")
  string(APPEND body "  {\"${job}\", \"${name}\",\n\"${sql}\"},\n")
endforeach()
string(APPEND body "  {NULL, NULL, NULL}\n};\n")
file(WRITE ${OUT}.tmp "${body}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
