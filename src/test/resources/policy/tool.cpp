// C++ with the standard library: a vector, a map, a string stream, and an attempt to read a file.
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <sstream>
#include <vector>

int main(int argc, char **argv) {
    if (argc > 2 && std::string(argv[1]) == "read") {
        std::ifstream in(argv[2]);
        std::cout << (in ? "OK" : "FAILED") << std::endl;
        return in ? 0 : 1;
    }
    std::vector<int> v(100);
    std::iota(v.begin(), v.end(), 1);
    std::map<std::string, int> m{{"sum", std::accumulate(v.begin(), v.end(), 0)}};
    std::ostringstream out;
    out << "sum " << m["sum"];
    std::cout << out.str() << std::endl;
    return 0;
}
