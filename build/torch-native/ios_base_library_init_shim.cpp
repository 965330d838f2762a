// Defines std::ios_base_library_init(), the one symbol of GLIBCXX_3.4.32 (GCC 13) that
// TorchSharp's libLibTorchSharp.so references. GCC 13's <iostream> emits a reference to it so
// that the iostream objects are initialised; on GCC 12's libstdc++ a static ios_base::Init
// here does the same job.
#include <ios>

namespace std
{
    void ios_base_library_init()
    {
        static ios_base::Init init;
    }
}
