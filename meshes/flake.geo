// An irregular exfoliated flake (about 10 um x 7 um) with a hole and four
// contacts on short stretches of its outline. Coordinates in metres.
// Tags: c1, c2 (bottom), c3 (top), c4 (left), edge (the rest of the outline
// and the hole). Region: flake.
DefineConstant[ edge_size = {40e-9, Name "edge_size"}, size = {300e-9, Name "size"} ];
u = 1e-6;
Point(1) = {0.0*u, 0.5*u, 0};  Point(2) = {2.2*u, 0.0*u, 0};  Point(3) = {3.2*u, 0.1*u, 0};
Point(4) = {5.5*u, 0.6*u, 0};  Point(5) = {7.8*u, 0.2*u, 0};  Point(6) = {8.8*u, 0.4*u, 0};
Point(7) = {10.2*u, 2.2*u, 0}; Point(8) = {10.0*u, 4.8*u, 0}; Point(9) = {9.4*u, 5.6*u, 0};
Point(10) = {7.0*u, 6.9*u, 0}; Point(11) = {4.6*u, 7.2*u, 0}; Point(12) = {3.6*u, 7.0*u, 0};
Point(13) = {1.4*u, 6.1*u, 0}; Point(14) = {0.2*u, 3.9*u, 0}; Point(15) = {0.0*u, 2.9*u, 0};
For k In {1:14}
  Line(k) = {k, k+1};
EndFor
Line(15) = {15, 1};
Point(21) = {4.0*u, 2.5*u, 0}; Point(22) = {5.6*u, 2.2*u, 0}; Point(23) = {6.2*u, 3.6*u, 0};
Point(24) = {4.8*u, 4.4*u, 0}; Point(25) = {3.7*u, 3.7*u, 0};
Line(21) = {21, 22}; Line(22) = {22, 23}; Line(23) = {23, 24}; Line(24) = {24, 25};
Line(25) = {25, 21};
Curve Loop(1) = {1:15};
Curve Loop(2) = {21:25};
Plane Surface(1) = {1, 2};
Physical Curve("c1") = {2};
Physical Curve("c2") = {5};
Physical Curve("c3") = {11};
Physical Curve("c4") = {14};
Physical Curve("edge") = {1, 3, 4, 6:10, 12, 13, 15, 21:25};
Physical Surface("flake") = {1};
Field[1] = Distance;
Field[1].CurvesList = {1:15, 21:25};
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
