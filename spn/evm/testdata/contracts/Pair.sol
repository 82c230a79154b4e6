// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

interface IERC20 {
    function transfer(address to, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

/// Uniswap-V2-style constant-product pair (0.3% fee), swap pulls the input with
/// transferFrom. Storage: slot 0 token0, slot 1 token1, slot 2 reserve0, slot 3 reserve1.
contract Pair {
    address public token0;
    address public token1;
    uint256 public reserve0;
    uint256 public reserve1;

    event Swap(address indexed sender, uint256 amountIn, uint256 amountOut, bool zeroForOne, address indexed to);
    event Sync(uint256 reserve0, uint256 reserve1);

    function swap(uint256 amountIn, bool zeroForOne, address to) external returns (uint256 amountOut) {
        (address tin, address tout) = zeroForOne ? (token0, token1) : (token1, token0);
        (uint256 rin, uint256 rout) = zeroForOne ? (reserve0, reserve1) : (reserve1, reserve0);
        require(amountIn > 0, "amount");
        require(IERC20(tin).transferFrom(msg.sender, address(this), amountIn), "in");
        uint256 inWithFee = amountIn * 997;
        amountOut = (inWithFee * rout) / (rin * 1000 + inWithFee);
        require(amountOut > 0 && amountOut < rout, "liquidity");
        require(IERC20(tout).transfer(to, amountOut), "out");
        if (zeroForOne) {
            reserve0 = rin + amountIn;
            reserve1 = rout - amountOut;
        } else {
            reserve1 = rin + amountIn;
            reserve0 = rout - amountOut;
        }
        emit Swap(msg.sender, amountIn, amountOut, zeroForOne, to);
        emit Sync(reserve0, reserve1);
    }
}
