// Greek cross (van der Pauw): centre square 2 um, four arms 3 um long and
// 2 um wide along +x, +y, -x, -y. Coordinates in metres.
// Tags: c1 (end of the +x arm), c2 (+y), c3 (-x), c4 (-y), edge (the rest).
// Region: cross.
DefineConstant[ edge_size = {40e-9, Name "edge_size"}, size = {250e-9, Name "size"} ];
u = 1e-6;
Point(1) = {1*u, -1*u, 0};  Point(2) = {4*u, -1*u, 0};  Point(3) = {4*u, 1*u, 0};
Point(4) = {1*u, 1*u, 0};   Point(5) = {1*u, 4*u, 0};   Point(6) = {-1*u, 4*u, 0};
Point(7) = {-1*u, 1*u, 0};  Point(8) = {-4*u, 1*u, 0};  Point(9) = {-4*u, -1*u, 0};
Point(10) = {-1*u, -1*u, 0}; Point(11) = {-1*u, -4*u, 0}; Point(12) = {1*u, -4*u, 0};
For k In {1:11}
  Line(k) = {k, k+1};
EndFor
Line(12) = {12, 1};
Curve Loop(1) = {1:12};
Plane Surface(1) = {1};
Physical Curve("c1") = {2};
Physical Curve("c2") = {5};
Physical Curve("c3") = {8};
Physical Curve("c4") = {11};
Physical Curve("edge") = {1, 3, 4, 6, 7, 9, 10, 12};
Physical Surface("cross") = {1};
Field[1] = Distance;
Field[1].CurvesList = {1:12};
Field[1].Sampling = 200;
Field[2] = Threshold;
Field[2].InField = 1;
Field[2].SizeMin = 0.7 * edge_size;
Field[2].SizeMax = size;
Field[2].DistMin = 6 * edge_size;
Field[2].DistMax = 6 * edge_size + (size - 0.7 * edge_size) / 0.15;
Background Field = 2;
Mesh.MeshSizeExtendFromBoundary = 0;
Mesh.MeshSizeFromPoints = 0;
Mesh.MeshSizeFromCurvature = 0;
Mesh.Algorithm = 6;
