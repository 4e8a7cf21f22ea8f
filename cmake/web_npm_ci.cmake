# `npm ci` in web/ unless web/node_modules is already newer than web/package-lock.json (npm writes
# node_modules/.package-lock.json on every install). Run by cmake/web.cmake:
#   cmake -DWEB_DIR=web -DNPM=/usr/bin/npm -P cmake/web_npm_ci.cmake
set(marker ${WEB_DIR}/node_modules/.package-lock.json)
if(EXISTS ${marker} AND NOT ${WEB_DIR}/package-lock.json IS_NEWER_THAN ${marker})
  return()
endif()
message(STATUS "web UI: npm ci in ${WEB_DIR}")
execute_process(COMMAND ${NPM} ci --no-audit --no-fund --loglevel=error
  WORKING_DIRECTORY ${WEB_DIR} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "web UI: npm ci failed in ${WEB_DIR} (exit ${rc}); configure with -DARGUS_WEB=OFF to build without the UI")
endif()
