// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// Child created by Misc.spawn: selfdestructs when told to (EIP-6780: only deleted
/// when that happens in the transaction that created it).
contract Child {
    uint256 public v;

    constructor(uint256 x) payable {
        v = x;
    }

    function kill(address payable to) external {
        selfdestruct(to);
    }
}

/// Exercises nested calls, reverts, transient storage, logs, creation and
/// selfdestruct. Storage: slot 0 counter, slot 1 mapping(uint256 => uint256) cells.
contract Misc {
    uint256 public counter;
    mapping(uint256 => uint256) public cells;

    event Ping(address indexed from, uint256 indexed n, bytes data);
    event Spawned(address child, bool killed);

    receive() external payable {}

    function bump(uint256 k, uint256 v) external {
        counter += 1;
        cells[k] = v;
        emit Ping(msg.sender, k, abi.encode(v));
    }

    /// Calls itself depth times; the innermost call reverts if failAt == depth, and the
    /// caller swallows the failure (try/catch), so only that frame's writes revert.
    function nest(uint256 depth, uint256 failAt) external returns (uint256) {
        cells[1000 + depth] += 1;
        if (depth == failAt) {
            revert("nest");
        }
        if (depth == 0) {
            return 1;
        }
        try this.nest(depth - 1, failAt) returns (uint256 r) {
            return r + 1;
        } catch {
            cells[2000 + depth] = 1;
            return 0;
        }
    }

    function fail(uint256 k) external {
        cells[k] = 7;
        revert("fail");
    }

    /// Transient storage: tstore in one frame, tload in a nested frame of the same tx.
    function transient(uint256 v) external returns (uint256 got) {
        assembly {
            tstore(0, v)
        }
        got = this.readTransient();
        cells[3000] = got;
    }

    function readTransient() external view returns (uint256 v) {
        assembly {
            v := tload(0)
        }
    }

    /// Creates a child with value; if kill, the child selfdestructs in the same
    /// transaction (and is deleted), else it stays.
    function spawn(uint256 x, bool kill) external payable returns (address c) {
        Child ch = new Child{value: msg.value}(x);
        c = address(ch);
        if (kill) {
            ch.kill(payable(msg.sender));
        }
        emit Spawned(c, kill);
    }

    function pay(address payable to, uint256 amount) external {
        (bool ok, ) = to.call{value: amount}("");
        require(ok, "pay");
    }
}
