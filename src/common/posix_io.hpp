#pragma once

#include <string>

namespace dfsim {

/// Writes all of `data` to the file descriptor `fd`, retrying on EINTR and short writes.
/// Returns 0 or the errno of the failing write.
int writeAll(int fd, const std::string& data);

}  // namespace dfsim
