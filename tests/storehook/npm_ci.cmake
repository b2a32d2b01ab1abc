# Installs tests/storehook's npm packages into the build directory (never into the repository);
# run by the storehook/npm-ci test. Skips the install when the lock file has not changed.
file(MAKE_DIRECTORY ${DST})
file(SHA256 ${SRC}/package-lock.json lock_hash)
if(EXISTS ${DST}/npm-ci.stamp)
    file(READ ${DST}/npm-ci.stamp stamp)
    if(stamp STREQUAL lock_hash AND EXISTS ${DST}/node_modules/stripe)
        return()
    endif()
endif()
file(COPY ${SRC}/package.json ${SRC}/package-lock.json DESTINATION ${DST})
execute_process(COMMAND ${NPM} ci --include=dev --no-audit --no-fund --loglevel=error
                WORKING_DIRECTORY ${DST} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "npm ci failed in ${DST}")
endif()
file(WRITE ${DST}/npm-ci.stamp ${lock_hash})
