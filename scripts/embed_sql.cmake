# Embeds SQL files as C arrays in one generated file of the build directory: the migrations and
# ingest statements of sql/sqlite, the jobs of sql/sqlite/jobs, the migrations of sql/mysql.
# Each -DARRAY<n>=TYPE:NAME:PATTERN:KEY (n = 1, 2, ...) gives `const TYPE NAME[]`: one row
# {key, "file name", "sql"} per file of SRC matching PATTERN, in file name order, then a row of
# zeros. KEY is `version` (the file name's leading number, an int: 007_x.sql -> 7) or `word`
# (its leading lower-case word, a string: traces_01_x.sql -> "traces"). INCLUDE names the header
# that declares the TYPEs; without it the file declares them itself ({version|key, name, sql}).
#   cmake -DOUT=gen/jobs_sqlite.c -DSRC=sql/sqlite/jobs -DINCLUDE=store.h \
#         -DARRAY1=argus_job_statement:argus_sqlite_jobs:*.sql:word -P scripts/embed_sql.cmake
file(RELATIVE_PATH from ${CMAKE_CURRENT_LIST_DIR}/.. ${SRC})
set(body "/* generated from ${from} by scripts/embed_sql.cmake; do not edit */\n#include <stddef.h>\n")
if(INCLUDE)
  string(APPEND body "#include \"${INCLUDE}\"\n")
endif()
foreach(n RANGE 1 9)
  if(NOT DEFINED ARRAY${n})
    break()
  endif()
  string(REPLACE ":" ";" spec "${ARRAY${n}}")
  list(GET spec 0 type)
  list(GET spec 1 name)
  list(GET spec 2 pattern)
  list(GET spec 3 key)
  if(key STREQUAL "version")
    set(key_regex "^[0-9]+")
    set(key_field "int version")
    set(end_key "0")
  elseif(key STREQUAL "word")
    set(key_regex "^[a-z]+")
    set(key_field "const char *key")
    set(end_key "NULL")
  else()
    message(FATAL_ERROR "embed_sql: ARRAY${n}: KEY must be version or word, not '${key}'")
  endif()
  if(NOT INCLUDE)
    string(APPEND body "\ntypedef struct ${type} {\n    ${key_field};\n    const char *name;\n    const char *sql;\n} ${type};\n")
  endif()
  string(APPEND body "\nconst ${type} ${name}[] = {\n")
  file(GLOB files ${SRC}/${pattern})
  list(SORT files)
  foreach(f ${files})
    get_filename_component(file ${f} NAME)
    string(REGEX MATCH "${key_regex}" k ${file})
    if(k STREQUAL "")
      message(FATAL_ERROR "embed_sql: ${f}: the file name does not start with a ${key}")
    elseif(key STREQUAL "version")
      math(EXPR k "${k}")
    else()
      set(k "\"${k}\"")
    endif()
    file(READ ${f} sql)
    string(REPLACE "\\" "\\\\" sql "${sql}")
    string(REPLACE "\"" "\\\"" sql "${sql}")
    string(REPLACE "\n" "\\n\"\n\"" sql "${sql}")
    string(APPEND body "  {${k}, \"${file}\",\n\"${sql}\"},\n")
  endforeach()
  string(APPEND body "  {${end_key}, NULL, NULL}\n};\n")
endforeach()
# A temporary file of this run's own: the build may run the same command for two targets at once,
# and string(RANDOM) is seeded from the time in seconds, so two runs started in the same second
# drew the same name (one removed the other's file: "COPY_FILE failed"); the microseconds tell
# them apart.
string(TIMESTAMP now "%s%f")
string(RANDOM LENGTH 12 run)
file(WRITE ${OUT}.${now}.${run}.tmp "${body}")
# Replaced by a rename (atomic) when the content changed: two concurrent COPY_FILEs onto ${OUT}
# failed with "No such file or directory".
set(old "")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(old STREQUAL body)
  file(REMOVE ${OUT}.${now}.${run}.tmp)
else()
  file(RENAME ${OUT}.${now}.${run}.tmp ${OUT})
endif()
