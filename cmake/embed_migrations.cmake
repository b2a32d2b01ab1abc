# Writes a C file holding each migration's SQL text, in file-name order.

set(body "#include \"store/migrations.h\"\n\nconst struct migration pd_migrations[] = {\n")
set(n 0)
foreach(f ${FILES})
    get_filename_component(name ${f} NAME_WE)
    file(READ ${f} sql HEX)
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," sql "${sql}")
    string(APPEND body "    {\"${name}\", (const char[]){${sql} 0}},\n")
    math(EXPR n "${n} + 1")
endforeach()
string(APPEND body "};\nconst int pd_migrations_count = ${n};\n")
file(WRITE ${OUT} "${body}")
