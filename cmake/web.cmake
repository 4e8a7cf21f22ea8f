# The web UI (web/) built with Vite and embedded into argus-server as the asset table of
# server/assets.h (<build>/gen/argus_assets.c; never committed). Included from the root
# CMakeLists before server/. Needs node and npm; without them, or with -DARGUS_WEB=OFF, this sets
# nothing and server/CMakeLists.txt generates an empty table ("/" then says how to get the UI).
#   cmake -S . -B build                      # UI embedded when node and npm are found
#   cmake -S . -B build-asan -DARGUS_WEB=OFF # sanitizer/fuzz builds skip the bundle
# `npm ci` runs only when web/package-lock.json is newer than web/node_modules; `npm run build`
# only when a file under web/ (outside node_modules) changed.
option(ARGUS_WEB "Build the web UI and embed it in argus-server (needs node and npm)" ON)

if(ARGUS_WEB)
  find_program(ARGUS_NODE node)
  find_program(ARGUS_NPM npm)
  if(ARGUS_NODE)
    execute_process(COMMAND ${ARGUS_NODE} --version OUTPUT_VARIABLE ARGUS_NODE_VERSION
      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    string(REGEX REPLACE "^v" "" ARGUS_NODE_VERSION "${ARGUS_NODE_VERSION}")
  endif()
  if(NOT ARGUS_NODE OR NOT ARGUS_NPM)
    message(STATUS "web UI: node/npm not found, argus-server is built without the UI")
  elseif(ARGUS_NODE_VERSION VERSION_LESS 20.19)
    # Vite 8 needs Node >= 20.19 (Debian 12's own nodejs is 18): build the server without the UI
    # rather than fail the whole build.
    message(WARNING "web UI: node ${ARGUS_NODE_VERSION} is older than 20.19, which the UI build needs; argus-server is built without the UI")
  else()
    set(WEB_DIR ${CMAKE_SOURCE_DIR}/web)
    set(WEB_OUT ${CMAKE_BINARY_DIR}/web)
    file(MAKE_DIRECTORY ${WEB_OUT})
    file(GLOB_RECURSE WEB_SOURCES CONFIGURE_DEPENDS
      ${WEB_DIR}/src/* ${WEB_DIR}/public/* ${WEB_DIR}/index.html ${WEB_DIR}/vite.config.ts
      ${WEB_DIR}/tsconfig.json ${WEB_DIR}/package.json)
    add_custom_command(
      OUTPUT ${WEB_OUT}/npm-ci.stamp
      COMMAND ${CMAKE_COMMAND} -DWEB_DIR=${WEB_DIR} -DNPM=${ARGUS_NPM} -P ${CMAKE_SOURCE_DIR}/cmake/web_npm_ci.cmake
      COMMAND ${CMAKE_COMMAND} -E touch ${WEB_OUT}/npm-ci.stamp
      DEPENDS ${WEB_DIR}/package-lock.json ${CMAKE_SOURCE_DIR}/cmake/web_npm_ci.cmake
      COMMENT "web UI: npm ci (when web/package-lock.json changed)")
    set(ARGUS_ASSETS_C ${CMAKE_BINARY_DIR}/gen/argus_assets.c)
    # The table must exist at configure time for server/ (another directory) to list it as a
    # source; the rule below replaces it before argus-server is compiled.
    if(NOT EXISTS ${ARGUS_ASSETS_C})
      file(WRITE ${ARGUS_ASSETS_C} "#include \"assets.h\"\nconst argus_asset argus_assets[1] = {{0}};\nconst size_t argus_assets_count = 0;\n")
    endif()
    add_custom_command(
      OUTPUT ${WEB_OUT}/build.stamp
      COMMAND ${ARGUS_NPM} run --silent build -- --outDir ${WEB_OUT}/dist --logLevel warn
      COMMAND ${ARGUS_NODE} ${WEB_DIR}/scripts/embed-assets.mjs ${WEB_OUT}/dist ${ARGUS_ASSETS_C}
      COMMAND ${CMAKE_COMMAND} -E touch ${WEB_OUT}/build.stamp
      WORKING_DIRECTORY ${WEB_DIR}
      DEPENDS ${WEB_OUT}/npm-ci.stamp ${WEB_SOURCES} ${WEB_DIR}/scripts/embed-assets.mjs
      COMMENT "web UI: vite build and embed into argus-server")
    add_custom_target(argus_web_assets ALL DEPENDS ${WEB_OUT}/build.stamp)
    set(ARGUS_ASSETS_DEPENDS argus_web_assets)
    message(STATUS "web UI: built with ${ARGUS_NODE} and embedded in argus-server")
  endif()
endif()
